-- Long-term memory (src/memory/schema.ts). The HNSW vector indexes are not here on purpose: they
-- are partial expression indexes, one per embedding model and dimension, created by Hearth when
-- it first stores an embedding of that model (src/memory/vector-index.ts), so a different model
-- with a different dimension can coexist with the old one while `hearth memory reindex` runs.
CREATE TABLE "conversation_summaries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"conversation_key" text NOT NULL,
	"through_message_id" bigint NOT NULL,
	"content" text NOT NULL,
	"messages_covered" integer NOT NULL,
	"model" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "memories" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"text" text NOT NULL,
	"scope" text NOT NULL,
	"person_id" text,
	"room_key" text,
	"created_by" text,
	"source_journal_id" bigint,
	"embedding" vector,
	"embedding_model" text,
	"embedding_dims" integer,
	"embedded_at" timestamp with time zone,
	"embed_attempts" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "memories_scope_owner" CHECK (("memories"."scope" = 'person' and "memories"."person_id" is not null and "memories"."room_key" is null) or ("memories"."scope" = 'room' and "memories"."room_key" is not null and "memories"."person_id" is null) or ("memories"."scope" = 'household' and "memories"."person_id" is null and "memories"."room_key" is null)),
	CONSTRAINT "memories_embedding_labelled" CHECK ("memories"."embedding" is null or ("memories"."embedding_model" is not null and "memories"."embedding_dims" = vector_dims("memories"."embedding")))
);
--> statement-breakpoint
ALTER TABLE "memories" ADD CONSTRAINT "memories_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "memories" ADD CONSTRAINT "memories_created_by_people_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."people"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "conversation_summaries_key" ON "conversation_summaries" USING btree ("conversation_key","through_message_id");--> statement-breakpoint
CREATE INDEX "memories_person_idx" ON "memories" USING btree ("person_id","id");--> statement-breakpoint
CREATE INDEX "memories_room_idx" ON "memories" USING btree ("room_key","id");--> statement-breakpoint
CREATE INDEX "memories_pending_idx" ON "memories" USING btree ("id") WHERE "memories"."embedding" is null;--> statement-breakpoint
CREATE INDEX "memories_model_idx" ON "memories" USING btree ("embedding_model","embedding_dims");--> statement-breakpoint
CREATE INDEX "memories_text_idx" ON "memories" USING gin (to_tsvector('simple', "text"));