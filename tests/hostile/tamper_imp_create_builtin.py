# category: import tricks
# expect: refused
# _imp.create_builtin for a fresh _posixsubprocess.
import _imp, importlib.machinery
fresh = _imp.create_builtin(importlib.machinery.ModuleSpec("_posixsubprocess", None))
