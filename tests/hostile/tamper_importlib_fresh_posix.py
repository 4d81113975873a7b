# category: import tricks
# expect: refused
# Drops posix from sys.modules and imports a fresh copy with importlib.
import importlib, sys
del sys.modules["_posixsubprocess"]
fresh = importlib.import_module("_posixsubprocess")
