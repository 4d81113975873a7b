# category: sys.modules tampering
# expect: refused
# Replaces os.path.realpath so every path looks like it is inside.
import os, posixpath, sys
cwd = os.getcwd()
posixpath.realpath = lambda p, *a, **k: cwd + "/x"
os.path.realpath = posixpath.realpath
sys.modules["posixpath"].realpath = posixpath.realpath
open("__WATCH_DIR__/pwned.txt", "w").write("pwned")
