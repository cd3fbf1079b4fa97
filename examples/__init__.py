"""Example portfolio files, installed as ``capacity.examples`` (see README.md here).

``capacity examples`` lists them; ``capacity portfolio --example NAME`` reads one.
"""
