# category: ctypes
# expect: refused
# Copies a compiled extension into its own directory and loads it from there (a crafted one runs any native code).
import importlib.util, shutil, _json
src = _json.__file__ if hasattr(_json, "__file__") else None
import glob, sys
src = src or glob.glob(sys.base_prefix + "/lib/python3*/lib-dynload/_json*.so")[0]
shutil.copy(src, "_json.so")
spec = importlib.util.spec_from_file_location("_json", "./_json.so")
module = importlib.util.module_from_spec(spec)
