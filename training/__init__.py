"""Fine-tuning: data formats, converters of public sets, SFT rendering with loss masks, packing.

Data flows one way: a file -> `Conversation` (training.formats, training.converters) ->
token ids with labels (training.render) -> packed or padded batches (training.packing).
Rendering goes through model.tool_format and model.chat_template, so a trained model is served
with exactly the prompt format it was trained on.
"""
