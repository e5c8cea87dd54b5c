-- A call from a tenant's phone is routed inside that tenant: its extension is found by the caller's endpoint.
CREATE INDEX extensions_endpoint_idx ON extensions (endpoint);
