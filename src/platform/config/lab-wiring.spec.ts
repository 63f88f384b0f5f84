import { Injectable } from '@nestjs/common';
import { wireLab } from './lab-wiring';

@Injectable()
class Shared {}
@Injectable()
class Store {}
class RegionController {}
class CoordinatorController {}
class CounterModule {}

const empty = { controllers: [], providers: [] };
const wiring = {
  lab: 'counter' as const,
  shared: [Shared],
  nodes: {
    coordinator: { controllers: [CoordinatorController], providers: [] },
    'us-east': { controllers: [RegionController], providers: [Store] },
    'us-west': { controllers: [], providers: [Store] },
    'eu-west': empty,
    strong: empty,
    gateway: empty,
  },
};

describe('wireLab', () => {
  it('registers the shared providers always and each selected node once', () => {
    expect(wireLab(CounterModule, wiring, [])).toEqual({ module: CounterModule, controllers: [], providers: [Shared] });
    expect(wireLab(CounterModule, wiring, ['us-east', 'us-west', 'coordinator'])).toEqual({
      module: CounterModule,
      controllers: [RegionController, CoordinatorController],
      providers: [Shared, Store],
    });
  });

  it('fails naming the lab and its nodes on an unknown node', () => {
    expect(() => wireLab(CounterModule, wiring, ['mars'])).toThrow(
      'counter has no node "mars" (nodes: coordinator, us-east, us-west, eu-west, strong, gateway)',
    );
  });
});
