# category: read files
# expect: refused
# Lists the server user's ~/.ssh (the real home, not $HOME).
import os, pwd
home = pwd.getpwuid(os.getuid()).pw_dir
print(os.listdir(home + "/.ssh"))
