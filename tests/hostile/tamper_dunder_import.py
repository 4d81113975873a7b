# category: import tricks
# expect: refused
# __import__ to reach os.system.
__import__("os").system("touch __WATCH_DIR__/pwned.txt")
