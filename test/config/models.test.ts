import { catalogEmbeddingModel, catalogModel, MODEL_CATALOG } from '../../lib/config/models';

describe('catalog lookups of configuration strings', () => {
  test('an alias of the catalog gives its entry', () => {
    expect(catalogModel('nova-lite')).toBe(MODEL_CATALOG['nova-lite']);
    expect(catalogEmbeddingModel('titan-embed-text-v2')).toBe(MODEL_CATALOG['titan-embed-text-v2']);
  });

  test('an unknown alias throws naming the value', () => {
    expect(() => catalogModel('nova-max')).toThrow('"nova-max" is not a model of the catalog (lib/config/models.ts); known: nova-micro');
    // Not an own key of the catalog object, though every object has it.
    expect(() => catalogModel('toString')).toThrow('"toString" is not a model of the catalog');
  });

  test('a text model where an embedding model is needed throws naming the value', () => {
    expect(() => catalogEmbeddingModel('nova-lite')).toThrow('"nova-lite" is a text model, not an embedding model');
  });
});
