# category: write outside
# expect: refused
# Climbs out of the working directory with '..'.
import os
path = "../" * 30 + "__WATCH_DIR__".lstrip("/") + "/pwned.txt"
open(path, "w").write("pwned")
