CREATE TABLE "audit_head" (
	"id" integer PRIMARY KEY NOT NULL,
	"last_id" bigint NOT NULL,
	"last_hash" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
-- A log written before this migration gets its current newest record as the head.
INSERT INTO "audit_head" ("id", "last_id", "last_hash") SELECT 1, "id", "hash" FROM "audit_events" ORDER BY "id" DESC LIMIT 1;
