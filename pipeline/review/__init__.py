"""Review: the routing policy and the queue of fields waiting for a person."""
