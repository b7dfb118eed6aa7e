#!/usr/bin/env python3
"""Load an exported Hugging Face folder into the independent PyTorch reference model
(tests/fixtures/tiny-bert/generate.py's BertForTokenClassification, parameter names identical to
transformers') with load_state_dict(strict=True), and print its logits for the inputs on stdin.

    /usr/bin/python3 torch_logits.py FOLDER < {"input_ids": [[...]], "attention_mask": [[...]]}

Prints one JSON object: {"logits": [...], "state_dict": {name: shape}}. strict=True raises if any
tensor is missing, unexpected or of the wrong shape, exactly as transformers would complain.
"""

import importlib.util
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
GENERATE = os.path.join(HERE, "..", "..", "..", "fixtures", "tiny-bert", "generate.py")


def main():
    folder = sys.argv[1]
    spec = importlib.util.spec_from_file_location("tiny_bert_reference", GENERATE)
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
        c = json.load(f)
    assert c["architectures"] == ["BertForTokenClassification"], c["architectures"]
    assert c["model_type"] == "bert", c["model_type"]
    id2label = {int(k): v for k, v in c["id2label"].items()}
    assert c["label2id"] == {v: k for k, v in id2label.items()}, "label2id is not the inverse of id2label"
    cfg = ref.BertConfig(vocab_size=c["vocab_size"], hidden_size=c["hidden_size"], num_hidden_layers=c["num_hidden_layers"],
                         num_attention_heads=c["num_attention_heads"], intermediate_size=c["intermediate_size"],
                         hidden_act=c["hidden_act"], max_position_embeddings=c["max_position_embeddings"],
                         type_vocab_size=c["type_vocab_size"], layer_norm_eps=c["layer_norm_eps"],
                         pad_token_id=c["pad_token_id"], num_labels=len(id2label), id2label=id2label)
    model = ref.BertForTokenClassification(cfg)
    _, tensors = ref.read_safetensors(os.path.join(folder, "model.safetensors"))
    model.load_state_dict(tensors, strict=True)
    model.eval()
    inputs = json.loads(sys.stdin.read())
    ids = torch.tensor(inputs["input_ids"])
    mask = torch.tensor(inputs["attention_mask"])
    with torch.no_grad():
        logits = model(ids, mask, torch.zeros_like(ids))["logits"]
    print(json.dumps({"logits": logits.flatten().tolist(),
                      "state_dict": {k: list(v.shape) for k, v in model.state_dict().items()}}))


if __name__ == "__main__":
    main()
