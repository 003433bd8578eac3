import { runAdapterContract } from '../contract/adapter-contract.ts';
import { fakeHomeserver, matrixAdapter, OWNER } from '../fakes/matrix-fixture.ts';

runAdapterContract('matrix', async () => {
  const fake = await fakeHomeserver();
  const dm = fake.createRoom({ members: [OWNER] });
  return {
    adapter: matrixAdapter(fake),
    async injectDirectMessage(text) {
      fake.text(dm, OWNER, text);
    },
    async injectOwnMessage(text) {
      fake.text(dm, fake.botUserId, text);
    },
    async sent() {
      return fake.botMessages().map((m) => ({ conversationId: m.roomId, messageId: m.eventId, text: m.text }));
    },
    async typingCount() {
      return fake.typingCalls().filter((c) => (c.body as { typing?: boolean }).typing === true).length;
    },
    deduplicatesSends: true,
    teardown: () => fake.close(),
  };
});
