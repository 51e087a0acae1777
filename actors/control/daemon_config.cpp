// placeholder: replaced by daemon config loader
