# category: write outside
# expect: refused
# Deletes the watched directory with shutil.
import shutil
shutil.rmtree("__WATCH_DIR__")
