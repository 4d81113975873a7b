# category: read files
# expect: refused
# Reads the API key file in $LINGXI_HOME.
print(open("__SECRET_FILE__").read())
