export { Trainer, type TrainerOptions } from './trainer.js';
export { TrainersDict } from './trainers-dict.js';
