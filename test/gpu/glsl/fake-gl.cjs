/**
 * A stand-in for the optional 'gl' package, preloaded with `node --require` by glsl.test.ts: a WebGL 1
 * context that records every shader source gpu.js compiles and draws nothing (reads give 1s, which is what
 * gpu.js's float-read probe expects). It lets the test collect the GLSL ES 1.00 that headless-gl would
 * compile, on a machine without a GPU or the gl package. It only acts with FROD_FAKE_GL=1 in the
 * environment, so a test runner that happens to load this file changes nothing.
 */
const Module = require('node:module');

const shaders = [];
const GL = {
  MAX_TEXTURE_SIZE: 0x0d33, RENDERER: 0x1f01, FRAGMENT_SHADER: 0x8b30, VERTEX_SHADER: 0x8b31,
  FRAMEBUFFER_COMPLETE: 0x8cd5,
};

function makeContext() {
  const extension = new Proxy({ MAX_DRAW_BUFFERS_WEBGL: 0x8824, resize() {}, destroy() {} }, {
    get: (target, key) => (key in target ? target[key] : 0x1000),
  });
  const target = {
    ...GL,
    getParameter: (p) => (p === GL.MAX_TEXTURE_SIZE ? 16384 : p === GL.RENDERER ? 'ANGLE' : 4),
    getExtension: (name) => (name === 'WEBGL_draw_buffers' ? null : extension),
    getShaderPrecisionFormat: () => ({ precision: 23, rangeMin: 127, rangeMax: 127 }),
    createShader: (type) => ({ type }),
    shaderSource: (shader, source) => { shader.source = source; },
    compileShader: (shader) => { if (shader.type === GL.FRAGMENT_SHADER) shaders.push(shader.source); },
    getShaderParameter: () => true,
    getProgramParameter: () => true,
    checkFramebufferStatus: () => GL.FRAMEBUFFER_COMPLETE,
    getShaderInfoLog: () => '',
    getProgramInfoLog: () => '',
    getError: () => 0,
    isContextLost: () => false,
    readPixels: (x, y, w, h, format, type, out) => { out.fill(1); },
  };
  // Constants read by name get a number; every other method is a no-op returning an empty object.
  return new Proxy(target, {
    get: (t, key) => (key in t ? t[key] : typeof key === 'string' && /^[A-Z0-9_]+$/.test(key) ? 0x2000 : () => ({})),
  });
}

if (process.env.FROD_FAKE_GL === '1') install();

function install() {
  const fakePath = `${__filename}#gl`;
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function resolveGl(request, ...rest) {
    return request === 'gl' ? fakePath : resolve.call(this, request, ...rest);
  };
  require.cache[fakePath] = { id: fakePath, filename: fakePath, loaded: true, exports: () => makeContext() };
  globalThis.__fakeGlShaders = shaders;
}
