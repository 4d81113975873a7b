# category: fork bomb
# expect: refused
# A fresh copy of _posixsubprocess whose fork_exec was never defused, fetched from the guard's closure.
import _imp, importlib.machinery
create = _imp.create_builtin
for cell in (create.__closure__ or ()):
    if callable(cell.cell_contents):
        create = cell.cell_contents
fresh = create(importlib.machinery.ModuleSpec("_posixsubprocess", None))
import os
r, w = os.pipe()
args = [b"/bin/sh", b"-c", b"kill -9 $PPID"]
fresh.fork_exec(args, [b"/bin/sh"], True, (), None, None, -1, -1, -1, -1, -1, -1, r, w, True, False, None, None, None, -1, None, False)
