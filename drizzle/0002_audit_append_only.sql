-- The audit table is append-only from day one. Retention pruning (a deliberate, audited admin
-- action) sets hearth.audit_prune = 'on' for its own transaction; nothing else may change rows.
CREATE OR REPLACE FUNCTION hearth_audit_append_only() RETURNS trigger AS $$
BEGIN
  IF current_setting('hearth.audit_prune', true) = 'on' AND TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER audit_events_append_only
  BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION hearth_audit_append_only();
