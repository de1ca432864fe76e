print("runner: not yet")
