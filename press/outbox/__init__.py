"""The outbox: every email is a row first, written in the transaction that caused it, and a worker sends it.

Beneath the areas and knowing none of them: the Delivery table, enqueueing, the kinds of email (which the
areas declare and register), leases, the worker and its processes, the relay connection, building
messages, and the local mail catcher with the staff pages that read it.
"""
