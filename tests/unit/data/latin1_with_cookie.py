# -*- coding: latin-1 -*-
def evaluate(run, example):
    return {"café": 1}
