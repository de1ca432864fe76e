print("analyzer: not yet")
