# category: write outside
# expect: refused
# A hard link to the canary inside the cell's directory, then writes through it.
import os
os.link("__CANARY__", "hard")
open("hard", "w").write("pwned")
