"""One module per ``creg`` sub-command; each exposes ``command`` (a click command).

A command imports the library inside its function (``# lazy: start-up``): ``creg CMD --help``
and click's own usage errors then never load it.  CLI helpers and ``registry.errors`` are
imported at the top.
"""
