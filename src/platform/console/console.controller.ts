import { Controller, Get, Req, Res } from '@nestjs/common';
import {
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { basename, join } from 'node:path';
import { LabException } from '../http/lab-exception';
import { IMMUTABLE, REVALIDATE, findConsoleDir } from './console-assets';

const ASSET = /^\/console\/assets\/([A-Za-z0-9._-]+)$/;

/** The console's files: hashed assets, and the single page for every other path under /console. */
@ApiTags('console')
@Controller()
export class ConsoleController {
  private readonly dir = findConsoleDir();

  @Get('console')
  @ApiProduces('text/html')
  @ApiOperation({ summary: 'The lab console: an overview of the labs, with a page per lab and the experiments page' })
  @ApiOkResponse({
    description: 'The console page (no-cache)',
    content: { 'text/html': { schema: { type: 'string' } } },
  })
  @ApiServiceUnavailableResponse({ description: 'CONSOLE.NOT_BUILT: run `npm run build`' })
  root(@Req() req: Request, @Res() res: Response): void {
    this.serve(req, res);
  }

  @Get('console/*path')
  @ApiProduces('text/html')
  @ApiParam({
    name: 'path',
    required: true,
    description: 'A page (`booking`, `experiments/<id>`) or `assets/<hashed file>`',
    schema: { type: 'string' },
  })
  @ApiOkResponse({
    description: 'The console page (no-cache), or a hashed asset (cached for a year, immutable)',
    content: { 'text/html': { schema: { type: 'string' } } },
  })
  @ApiNotFoundResponse({ description: 'CONSOLE.ASSET_NOT_FOUND: no such asset' })
  @ApiServiceUnavailableResponse({ description: 'CONSOLE.NOT_BUILT: run `npm run build`' })
  @ApiOperation({
    summary:
      'The lab console (a single page): /console, /console/<lab>, /console/experiments[/<id>]; assets under /console/assets',
  })
  serve(@Req() req: Request, @Res() res: Response): void {
    const dir = this.dir;
    if (!dir) {
      throw new LabException('CONSOLE.NOT_BUILT', 'The console is not built: run `npm run build`', 'unavailable');
    }
    const asset = ASSET.exec(req.path);
    if (asset) {
      res.sendFile(
        basename(asset[1]),
        { root: join(dir, 'assets'), headers: { 'Cache-Control': IMMUTABLE }, dotfiles: 'deny' },
        (err) => {
          if (err && !res.headersSent) {
            res.status(404).json({
              statusCode: 404,
              code: 'CONSOLE.ASSET_NOT_FOUND',
              message: `No console asset ${asset[1]}`,
              details: null,
            });
          }
        },
      );
      return;
    }
    if (req.path.startsWith('/console/assets/') || /\.[a-z0-9]+$/i.test(req.path)) {
      res.status(404).json({
        statusCode: 404,
        code: 'CONSOLE.ASSET_NOT_FOUND',
        message: `No console file at ${req.path}`,
        details: null,
      });
      return;
    }
    res.sendFile('index.html', {
      root: dir,
      headers: { 'Cache-Control': REVALIDATE, 'Content-Type': 'text/html; charset=utf-8' },
    });
  }
}
