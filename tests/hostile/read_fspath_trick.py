# category: read files
# expect: confined
# A path object whose __fspath__ tries to run inside the audit hook (to reach its frame) and lie on a
# second call: the hook never calls it, so it runs once and the file read is the harmless one.
import os, sys
frames = []
open("inside.txt", "w").write("harmless")
class Sneaky:
    def __fspath__(self):
        frames.append(sys._getframe(1))
        return "inside.txt" if len(frames) == 1 else "__SECRET_FILE__"
print(os.read(os.open(Sneaky(), os.O_RDONLY), 100), len(frames))
