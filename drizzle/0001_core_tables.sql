CREATE TABLE "adapter_state" (
	"platform" text NOT NULL,
	"key" text NOT NULL,
	"value" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "adapter_state_platform_key_pk" PRIMARY KEY("platform","key")
);
--> statement-breakpoint
CREATE TABLE "audit_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"kind" text NOT NULL,
	"actor_person_id" text,
	"platform" text,
	"subject" text,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "identities" (
	"platform" text NOT NULL,
	"account_id" text NOT NULL,
	"person_id" text NOT NULL,
	"display_name" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "identities_platform_account_id_pk" PRIMARY KEY("platform","account_id")
);
--> statement-breakpoint
CREATE TABLE "inbound_journal" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"platform" text NOT NULL,
	"event_id" text NOT NULL,
	"conversation_key" text NOT NULL,
	"message" jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"outcome" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"lease_until" timestamp with time zone,
	"last_error" text,
	"apologized" boolean DEFAULT false NOT NULL,
	"preview_message_id" text,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "messages" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"conversation_key" text NOT NULL,
	"person_id" text,
	"role" text NOT NULL,
	"author_name" text,
	"content" text NOT NULL,
	"journal_id" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"journal_id" bigint,
	"platform" text NOT NULL,
	"conversation_key" text NOT NULL,
	"conversation" jsonb NOT NULL,
	"kind" text DEFAULT 'reply' NOT NULL,
	"seq" integer DEFAULT 0 NOT NULL,
	"text" text NOT NULL,
	"reply_to_message_id" text,
	"addressee" jsonb,
	"edit_message_id" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_message_id" text,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "people" (
	"id" text PRIMARY KEY NOT NULL,
	"display_name" text NOT NULL,
	"role" text DEFAULT 'guest' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "identities" ADD CONSTRAINT "identities_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_journal_id_inbound_journal_id_fk" FOREIGN KEY ("journal_id") REFERENCES "public"."inbound_journal"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outbox" ADD CONSTRAINT "outbox_journal_id_inbound_journal_id_fk" FOREIGN KEY ("journal_id") REFERENCES "public"."inbound_journal"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_events_kind_idx" ON "audit_events" USING btree ("kind","at");--> statement-breakpoint
CREATE INDEX "audit_events_actor_idx" ON "audit_events" USING btree ("actor_person_id","at");--> statement-breakpoint
CREATE INDEX "identities_person_idx" ON "identities" USING btree ("person_id");--> statement-breakpoint
CREATE UNIQUE INDEX "inbound_journal_event_key" ON "inbound_journal" USING btree ("platform","event_id");--> statement-breakpoint
CREATE INDEX "inbound_journal_ready_idx" ON "inbound_journal" USING btree ("status","next_attempt_at");--> statement-breakpoint
CREATE INDEX "inbound_journal_conversation_idx" ON "inbound_journal" USING btree ("conversation_key","id");--> statement-breakpoint
CREATE INDEX "messages_conversation_idx" ON "messages" USING btree ("conversation_key","id");--> statement-breakpoint
CREATE UNIQUE INDEX "messages_turn_key" ON "messages" USING btree ("journal_id","role") WHERE "messages"."journal_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "outbox_reply_key" ON "outbox" USING btree ("journal_id","kind","seq");--> statement-breakpoint
CREATE INDEX "outbox_pending_idx" ON "outbox" USING btree ("status","conversation_key","id");