# category: huge output
# expect: output
# A ten-million-character last expression: its repr is cut.
"z" * 10_000_000
