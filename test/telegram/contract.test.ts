import { runAdapterContract } from '../contract/adapter-contract.ts';
import { telegramContractFixture } from '../fakes/telegram-fixture.ts';

runAdapterContract('telegram', telegramContractFixture);
