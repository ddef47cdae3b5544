export { noGrad, isGradEnabled, setGradEnabled, record, type GradFn } from './graph';
export { gradcheck, type GradcheckOptions } from './gradcheck';
