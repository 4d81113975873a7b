# category: ctypes
# expect: refused
# Loads a shared library copied into its own directory with ctypes.
import ctypes, glob, shutil, sys
shutil.copy(glob.glob(sys.base_prefix + "/lib/python3*/lib-dynload/_json*.so")[0], "lib.so")
ctypes.CDLL("./lib.so")
