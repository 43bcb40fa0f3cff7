// `sunbeam-bot launchpad login`: the three-step OAuth dance that gives the bot its long-lived Launchpad token.
import {
  DEFAULT_CONSUMER_KEY,
  accessToken,
  authorizeUrl,
  requestToken,
  type DanceOptions,
  type TokenPair,
} from "../../integrations/launchpad/oauth.js";

export interface LoginOptions extends DanceOptions {
  /**
   * Shows the human the page where they grant the token (step 2) and resolves once they say they did
   * (the CLI waits for Enter). The bot needs WRITE_PUBLIC: comments, status and tags on public bugs.
   */
  authorize: (url: string) => Promise<void>;
}

export interface LoginResult extends TokenPair {
  consumerKey: string;
  /** The lines to put in the bot's environment (or in the files named by the `_FILE` variables). */
  env: string;
}

export async function launchpadLogin(o: LoginOptions): Promise<LoginResult> {
  const consumerKey = o.consumerKey ?? DEFAULT_CONSUMER_KEY;
  const request = await requestToken(o);
  await o.authorize(authorizeUrl(request.token, { ...o, allowPermission: "WRITE_PUBLIC" }));
  const access = await accessToken(request, o);
  const env = [
    `LAUNCHPAD_OAUTH_TOKEN=${access.token}`,
    `LAUNCHPAD_OAUTH_TOKEN_SECRET=${access.tokenSecret}`,
  ].join("\n");
  return { ...access, consumerKey, env };
}
