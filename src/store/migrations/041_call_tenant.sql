-- Each call belongs to a tenant, decided from its first channel by the tenants' rules (docs/tenants.md). A
-- plain column: the calls stored before are the default tenant's, and a call names its tenant even when the
-- tenant is deleted later (its calls stay for the record). The record JSON carries it too (tenantId); older
-- records lack it and read as 'default' (row-mapping.ts).
ALTER TABLE calls ADD COLUMN tenant_id text NOT NULL DEFAULT 'default';
-- A tenant's listing, newest first, found from the index alone, like calls_started_idx (023) for all calls.
CREATE INDEX calls_tenant_started_idx ON calls (tenant_id, started_at DESC, id DESC)
  INCLUDE (server, status, disposition, direction, from_number, to_number);
