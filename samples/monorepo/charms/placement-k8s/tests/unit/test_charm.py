def test_charm():
    pass
