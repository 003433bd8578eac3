CREATE TABLE "poison_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"platform" text NOT NULL,
	"event_id" text NOT NULL,
	"error" text NOT NULL,
	"excerpt" text NOT NULL,
	"attempts" integer DEFAULT 1 NOT NULL,
	"first_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "poison_events_event_key" ON "poison_events" USING btree ("platform","event_id");--> statement-breakpoint
CREATE INDEX "poison_events_last_idx" ON "poison_events" USING btree ("last_at");