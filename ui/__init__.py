"""Lingxi's web UI (Gradio), served by app.py. One module per part of the page:

    layout     the page and the language switch     chat       the chat's events (send, stop, ...)
    turns      a turn: agent events -> views         sessions   the conversation list
    models     the model picker                      engines    model choices, loaded-engine cache
    knowledge  the knowledge base panel              feedback   thumbs and training-data export
    render     agent steps -> chat messages          i18n       every piece of interface text
    services   what the handlers share
"""
