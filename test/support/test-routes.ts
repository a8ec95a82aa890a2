import { setTimeout as sleep } from 'node:timers/promises';
import { Controller, Get, Module, Query } from '@nestjs/common';

/** Routes that exist only in tests: a slow request (shutdown) and a crash (500 handling). */
@Controller('test')
class TestRoutesController {
  @Get('slow')
  async slow(@Query('ms') ms = '500'): Promise<{ waitedMs: number }> {
    await sleep(Number(ms));
    return { waitedMs: Number(ms) };
  }

  @Get('crash')
  crash(): never {
    throw new Error('database password is hunter2');
  }
}

@Module({ controllers: [TestRoutesController] })
export class TestRoutesModule {}
