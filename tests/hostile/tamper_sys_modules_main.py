# category: sys.modules tampering
# expect: refused
# Empties the hook's tables through sys.modules['__main__'] (the child script), then spawns a shell.
import sys
child = sys.modules["__main__"]
for name in dir(child):
    value = getattr(child, name)
    if isinstance(value, (set, dict, list)):
        value.clear()
child.inside = lambda *a: True
import os
os.system("touch __WATCH_DIR__/pwned.txt")
