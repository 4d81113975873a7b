# category: builtins patching
# expect: refused
# Patches builtins the audit hook might use, then writes outside.
import builtins
builtins.isinstance = lambda *a: False
builtins.any = lambda *a: False
builtins.len = lambda *a: 0
open("__WATCH_DIR__/pwned.txt", "w").write("pwned")
