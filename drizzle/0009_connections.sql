CREATE TABLE "connections" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"person_id" text,
	"kind" text NOT NULL,
	"settings" jsonb NOT NULL,
	"secret" text NOT NULL,
	"shared_with" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "connections" ADD CONSTRAINT "connections_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "connections_person_kind_key" ON "connections" USING btree (coalesce("person_id", ''),"kind");--> statement-breakpoint
CREATE INDEX "connections_person_idx" ON "connections" USING btree ("person_id");