-- People's permissions (src/access/schema.ts), plus one guard for the audit chain: the row
-- triggers of 0002 do not fire on TRUNCATE, which would empty audit_events in one statement.
CREATE TABLE "direct_chats" (
	"person_id" text NOT NULL,
	"platform" text NOT NULL,
	"conversation" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "direct_chats_person_id_platform_pk" PRIMARY KEY("person_id","platform")
);
--> statement-breakpoint
CREATE TABLE "link_codes" (
	"code" text PRIMARY KEY NOT NULL,
	"person_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"used_by" text
);
--> statement-breakpoint
CREATE TABLE "pairing_requests" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"platform" text NOT NULL,
	"account_id" text NOT NULL,
	"display_name" text NOT NULL,
	"conversation" jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"decided_by" text,
	"decided_at" timestamp with time zone,
	"person_id" text
);
--> statement-breakpoint
CREATE TABLE "token_usage" (
	"person_id" text NOT NULL,
	"day" date NOT NULL,
	"tokens" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "token_usage_person_id_day_pk" PRIMARY KEY("person_id","day")
);
--> statement-breakpoint
CREATE TABLE "tool_approvals" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"requester_person_id" text,
	"tool" text NOT NULL,
	"arguments" jsonb NOT NULL,
	"platform" text NOT NULL,
	"conversation_key" text NOT NULL,
	"asked_in" jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"decided_by" text,
	"decided_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "tool_grants" (
	"person_id" text NOT NULL,
	"tool" text NOT NULL,
	"decision" text NOT NULL,
	"granted_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tool_grants_person_id_tool_pk" PRIMARY KEY("person_id","tool")
);
--> statement-breakpoint
ALTER TABLE "direct_chats" ADD CONSTRAINT "direct_chats_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "link_codes" ADD CONSTRAINT "link_codes_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pairing_requests" ADD CONSTRAINT "pairing_requests_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "token_usage" ADD CONSTRAINT "token_usage_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tool_approvals" ADD CONSTRAINT "tool_approvals_requester_person_id_people_id_fk" FOREIGN KEY ("requester_person_id") REFERENCES "public"."people"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tool_grants" ADD CONSTRAINT "tool_grants_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "pairing_requests_pending_code" ON "pairing_requests" USING btree ("code") WHERE "pairing_requests"."status" = 'pending';--> statement-breakpoint
CREATE UNIQUE INDEX "pairing_requests_pending_account" ON "pairing_requests" USING btree ("platform","account_id") WHERE "pairing_requests"."status" = 'pending';--> statement-breakpoint
CREATE UNIQUE INDEX "tool_approvals_pending_code" ON "tool_approvals" USING btree ("code") WHERE "tool_approvals"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "tool_approvals_status_idx" ON "tool_approvals" USING btree ("status","expires_at");--> statement-breakpoint
CREATE TRIGGER audit_events_no_truncate
  BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION hearth_audit_append_only();
