CREATE TABLE "reminders" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"person_id" text NOT NULL,
	"created_by" text NOT NULL,
	"text" text NOT NULL,
	"time_zone" text NOT NULL,
	"repeat" jsonb,
	"platform" text,
	"conversation" jsonb,
	"reply_to_message_id" text,
	"addressee" jsonb,
	"status" text DEFAULT 'active' NOT NULL,
	"next_at" timestamp with time zone NOT NULL,
	"lease_until" timestamp with time zone,
	"lease_token" text,
	"fired" integer DEFAULT 0 NOT NULL,
	"last_fired_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "reminders" ADD CONSTRAINT "reminders_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "reminders_due_idx" ON "reminders" USING btree ("next_at") WHERE status = 'active';--> statement-breakpoint
CREATE INDEX "reminders_person_idx" ON "reminders" USING btree ("person_id");