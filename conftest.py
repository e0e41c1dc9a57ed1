pytest_plugins = ["bm.testing"]
