# category: write outside
# expect: refused
# Copies a file out with shutil.
import shutil
open("x.txt", "w").write("pwned")
shutil.copy("x.txt", "__WATCH_DIR__/pwned.txt")
