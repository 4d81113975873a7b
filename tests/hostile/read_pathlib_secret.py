# category: read files
# expect: refused
# Reads the key file with pathlib.
import pathlib
print(pathlib.Path("__SECRET_FILE__").read_text())
