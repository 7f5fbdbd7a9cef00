import type { ContrastMetric } from './contrasts.js';
import type { Conclusion, Finding, Premise } from './conclusions.js';
import type { GapMetric } from './gap.js';

/**
 * The study's conclusions, written after its results were read (docs/study.md prints them under
 * "Conclusions"). The figures quoted are the tables' IQMs; the verdicts each conclusion rests on are
 * its premises, which every report checks again (conclusions.ts). Edit the prose and the premises
 * together.
 */

const on =
  (sweep: string) =>
  (family: Premise['family'], a: string, b: string, metric: ContrastMetric, found: Finding): Premise => ({
    sweep,
    family,
    a,
    b,
    metric,
    found,
  });
const pendulum = on('study-pendulum');
const reacher = on('study-sim-reacher');
const arm = on('study-arm');
const armAbsolute = on('study-arm-absolute');
const furuta = on('study-furuta');
/** A configuration on an emulated robot against the same on its twin in wall time. */
const robotGap =
  (robot: string) =>
  (configuration: string, metric: GapMetric, found: Finding): Premise => ({
    sweep: robot,
    family: 'robot − twin',
    a: configuration,
    b: `${robot}-twin`,
    metric,
    found,
  });
const armRobot = robotGap('study-arm-robot');
const so101Robot = robotGap('study-so101-robot');

const AREA = 'training return area';
const CONTINUITY = 'continuity cost';

export const CONCLUSIONS: readonly Conclusion[] = [
  {
    title: '1. Layer normalisation: smoother parameter noise, no return',
    paragraphs: [
      "On the pendulum, the only twin that asks, layer normalisation in the actor's hidden layers changes no final return: not with fixed σ, not with adaptive σ, not for gSDE every 8 steps (paired differences within ±1.4, intervals across 0). Plappert et al. (ICLR 2018) introduce it so that one fixed σ suits every layer, and expect a better return from it; here that claim finds no difference.",
      'What layer normalisation does change is the perturbed policy. With parameter noise it lowers the continuity cost, with both σ schedules (adaptive σ: 0.37 % to 0.27 %; fixed σ = 0.1: 0.96 % to 0.80 %); for gSDE, whose noise is drawn in the action layer from the last hidden features, it changes nothing measurable. While learning, it helps adaptive σ (training return area −499 to −456) and hurts the fixed σ = 0.1 (−958 to −1,057). The likely reason: at σ = 0.1 the perturbed actor is already far off its mean (mean |noise| 0.56 on actions in [−1, 1], against 0.16 with adaptive σ) and normalised layers pass the perturbation on undamped (0.61); with adaptive σ the action distance is held at δ either way, and what remains is the smoother perturbation. The first edition saw the continuity effect change sign between its two twins; that comparison cannot be repeated here, since this edition asks the question on the pendulum alone.',
    ],
    premises: [
      pendulum(1, 'param k=ep', 'param k=ep layer-norm', 'return', 'no difference'),
      pendulum(1, 'param k=ep adaptive', 'param k=ep layer-norm adaptive', 'return', 'no difference'),
      pendulum(1, 'gsde k=8', 'gsde k=8 layer-norm', 'return', 'no difference'),
      pendulum(1, 'param k=ep', 'param k=ep layer-norm', CONTINUITY, 'higher'),
      pendulum(1, 'param k=ep adaptive', 'param k=ep layer-norm adaptive', CONTINUITY, 'higher'),
      pendulum(1, 'gsde k=8', 'gsde k=8 layer-norm', CONTINUITY, 'no difference'),
      pendulum(1, 'param k=ep adaptive', 'param k=ep layer-norm adaptive', AREA, 'lower'),
      pendulum(1, 'param k=ep', 'param k=ep layer-norm', AREA, 'higher'),
      pendulum('claims', 'param k=ep layer-norm', 'param k=ep', 'return', 'no difference'),
    ],
  },
  {
    title: '2. Noise adaptation: it picks the scale; a well-chosen fixed σ does as well',
    paragraphs: [
      "Adapting σ toward a target action distance earns nothing in final return on the pendulum (Plappert et al.'s claim: no difference established; all eight settings end between −133 and −138). It halves what exploring costs while learning: training return area −499 with adaptive σ (δ = 0.1 from σ₀ = 0.1) against −958 when σ₀ = 0.1 is kept.",
      'It does so by choosing the scale, not by following the policy over training: a fixed σ = 0.05 does as well as adaptation (−517, no difference established), the larger fixed σ do worse in order (0.2: −1,310; 0.4: −1,460), and the targets δ = 0.05, 0.1 and 0.2 cannot be told apart while δ = 0.4 costs more (−645). The σ and d plot shows where adaptation goes: σ falls from 0.1 to about 0.02 (δ = 0.1) over the budget as the trained actor grows more sensitive to its weights, so σ₀ = 0.1 is too large from the start (mean |noise| 0.56 against 0.16 adapted). Adaptation is insurance against a mis-set σ, which is how Plappert et al. motivate it; on a task where a good σ is known, keeping it fixed loses nothing here. The only final-return differences established are small and go the other way (σ = 0.4 and δ = 0.4 above σ = 0.05, by about 3 to 5): large perturbations make costly training episodes but varied data, and the deterministic policy evaluated afterwards learns from it.',
    ],
    premises: [
      pendulum(2, 'param k=ep adaptive', 'param k=ep', 'return', 'no difference'),
      pendulum(2, 'param k=ep adaptive', 'param k=ep', AREA, 'higher'),
      pendulum(2, 'param k=ep adaptive', 'param k=ep param-std=0.05', AREA, 'no difference'),
      pendulum(2, 'param k=ep param-std=0.05', 'param k=ep param-std=0.2', AREA, 'higher'),
      pendulum(2, 'param k=ep param-std=0.2', 'param k=ep param-std=0.4', AREA, 'higher'),
      pendulum(2, 'param k=ep adaptive', 'param k=ep adaptive param-target=0.05', AREA, 'no difference'),
      pendulum(2, 'param k=ep adaptive', 'param k=ep adaptive param-target=0.2', AREA, 'no difference'),
      pendulum(2, 'param k=ep adaptive param-target=0.2', 'param k=ep adaptive param-target=0.4', AREA, 'higher'),
      pendulum(2, 'param k=ep param-std=0.4', 'param k=ep param-std=0.05', 'return', 'higher'),
      pendulum(2, 'param k=ep', 'param k=ep adaptive', CONTINUITY, 'higher'),
      pendulum('claims', 'param k=ep adaptive', 'param k=ep', 'return', 'no difference'),
    ],
  },
  {
    title: '3. Sampling interval: it decides smoothness, for every kind of noise; a whole episode slows learning',
    paragraphs: [
      "The interval sets smoothness for every noise that has one. From k = 1 to k = 8 the continuity cost falls 9-fold for Gaussian noise (8.2 % to 0.87 %), 9-fold for gSDE (6.4 % to 0.74 %), 7-fold for parameter noise (4.5 % to 0.65 %) and 4-fold for pink noise (1.9 % to 0.44 %); once per episode brings all four to 0.27–0.37 %, the cost of no noise at all (0.37 %). At one interval the kinds of noise differ far less than the intervals do (at k = 8: 0.44 % to 0.87 %), and the mean |noise| column shows that this is not bought with less exploration (0.15 to 0.22 at k = 1 and k = 8). The draft post's claim holds on the pendulum: the sampling interval, more than the kind of noise, decides how smooth exploration is; the gSDE paper's ordering holds too (every longer gSDE interval is smoother).",
      "Ornstein–Uhlenbeck noise is the exception that shows the rule. As Stable-Baselines3 runs it (θ = 0.15, dt = 0.01, started at 0) consecutive samples correlate at 0.9985, so it is smooth at any k (0.28 % at k = 1, no difference from once per episode), and it explores little (mean |noise| 0.06, 0.007 once per episode): it ends lowest of the noises, and lowest of all once per episode (final return −158 at k = 1, −232 once per episode). Pink noise (Eberhard et al., ICLR 2023) beats it, as its paper reports; its paper's other claim, pink above white noise, is contradicted here by a margin of 2 on a return of −135 that every noise reaches.",
      'The price of a long interval is learning speed, not final return. Every exploring configuration but OU ends between −133 and −142, and no difference in return is established between intervals for parameter, Gaussian or pink noise (for gSDE, k = 32 ends 3 to 7 above k = 1, 16 and once per episode). But once per episode costs training return area for all four (gSDE −459 against −382 at k = 8, Gaussian −484 against −370, pink −453 against −375, parameter −499 against −390), while k = 1 to 16 cannot be told apart. Over 15,000 steps of 200-step episodes, once per episode draws 75 samples; k = 8 draws 1,875.',
      "Against the gSDE paper's figure (Raffin et al., CoRL 2021) the ordering agrees (rank correlation 0.62 on continuity and 0.80 on return over nine configurations), the size does not: there, gSDE every 8 steps keeps 74 % of the continuity cost of Gaussian noise; here it keeps 9 %. The pendulum's deterministic policy is smooth (no noise: 0.37 % against 8.2 % with Gaussian noise), so noise makes almost all of the cost and the interval removes almost all of it; on the paper's PyBullet locomotion tasks the policy's own action changes weigh more (no noise at 0.48 of Gaussian), and the interval can remove less.",
    ],
    premises: [
      pendulum(3, 'gaussian k=1', 'gaussian k=8', CONTINUITY, 'higher'),
      pendulum(3, 'gsde k=1', 'gsde k=8', CONTINUITY, 'higher'),
      pendulum(3, 'param k=1 adaptive', 'param k=8 adaptive', CONTINUITY, 'higher'),
      pendulum(3, 'pink k=1', 'pink k=8', CONTINUITY, 'higher'),
      pendulum(3, 'gsde k=8', 'gsde k=ep', CONTINUITY, 'higher'),
      pendulum(3, 'gsde k=16', 'gsde k=32', CONTINUITY, 'higher'),
      pendulum(3, 'ou k=1', 'ou k=ep', CONTINUITY, 'no difference'),
      pendulum(3, 'ou k=1', 'ou k=ep', 'return', 'higher'),
      pendulum(3, 'param k=1 adaptive', 'param k=ep adaptive', 'return', 'no difference'),
      pendulum(3, 'gaussian k=1', 'gaussian k=ep', 'return', 'no difference'),
      pendulum(3, 'pink k=1', 'pink k=ep', 'return', 'no difference'),
      pendulum(3, 'gsde k=32', 'gsde k=1', 'return', 'higher'),
      pendulum(3, 'gsde k=8', 'gsde k=ep', AREA, 'higher'),
      pendulum(3, 'gaussian k=8', 'gaussian k=ep', AREA, 'higher'),
      pendulum(3, 'pink k=8', 'pink k=ep', AREA, 'higher'),
      pendulum(3, 'param k=8 adaptive', 'param k=ep adaptive', AREA, 'higher'),
      pendulum(3, 'gsde k=1', 'gsde k=16', AREA, 'no difference'),
      pendulum(3, 'gaussian k=1', 'gaussian k=8', AREA, 'no difference'),
      pendulum('claims', 'gaussian k=8', 'gaussian k=1', CONTINUITY, 'lower'),
      pendulum('claims', 'pink k=1', 'ou k=1', 'return', 'higher'),
      pendulum('claims', 'pink k=1', 'gaussian k=1', 'return', 'lower'),
    ],
  },
  {
    title: 'The interval on long episodes (furuta): past a sixteenth of the episode it buys no smoothness, and it slows learning',
    paragraphs: [
      "On the Furuta pendulum (effort control, 500-step episodes, 50,000 steps) gSDE's interval was set as a share of the episode. The continuity cost falls from k = 1 to k = 8 (7.3 % to 1.9 %) and again to a sixteenth of the episode (k = 31: 0.93 %), then stops: a sixteenth, a quarter and once per episode cannot be told apart (0.76 % to 0.93 %), and sit at the cost of no noise (0.78 %). Beyond about 30 steps the policy's own action changes, not the noise, make the cost. The safety layer says the same: it changes 31 % of the commands at k = 1, 11 % at k = 8 and 7 to 8 % from a sixteenth on, as many as with no noise (7 %); the mean squared jerk falls 5-fold from k = 1 to k = 8.",
      "The price of a longer interval is learning, and here it reaches the final return. The training return area falls with the interval (k = 1: 285, k = 8: 255, a sixteenth: 245, a quarter: 223, once per episode: 213, no noise: 199): k = 1 and k = 8 above a quarter and once per episode, a sixteenth above once per episode, while k = 1, k = 8 and a sixteenth cannot be told apart. The final return follows in trend (IQM 392 at k = 1, 387 at k = 8, 374 at a sixteenth, 313 at a quarter, 348 once per episode), and fewer runs reach the sweep's median final return within the budget (8, 7, 6, 4 and 2 of 10); the one final-return difference established is k = 8 above a quarter (by 55 on paired seeds). Over 50,000 steps once per episode draws 100 samples and k = 8 draws 6,250. On the pendulum, where every interval ended level, the interval cost only learning speed; on a task with long episodes and a return that does not saturate it costs return as well. No noise ends lowest (272), though no contrast here tests it.",
      "Against the gSDE paper (Raffin et al., CoRL 2021) both continuity orderings agree (every 8 steps smoother than Gaussian noise, once per episode smoother than every 8 steps) and both return claims find no difference at 10 seeds. The size lies between the pendulum's and the paper's: gSDE every 8 steps keeps 24 % of the continuity cost of Gaussian noise (pendulum 9 %, paper 74 %), once per episode 10 %, as no noise does. On this task the compromise is a sixteenth of the episode: it cannot be told from once per episode in smoothness, nor from k = 8 in learning speed or return. This is why the interval is best set as a share of the episode: the same k = 8 is a twenty-fifth of a pendulum episode and a sixty-second of a furuta one, and only at about a sixteenth does furuta's cost reach its floor.",
    ],
    premises: [
      furuta(3, 'gsde k=1', 'gsde k=8', CONTINUITY, 'higher'),
      furuta(3, 'gsde k=8', 'gsde k=ep/16', CONTINUITY, 'higher'),
      furuta(3, 'gsde k=ep/16', 'gsde k=ep/4', CONTINUITY, 'no difference'),
      furuta(3, 'gsde k=ep/16', 'gsde k=ep', CONTINUITY, 'no difference'),
      furuta(3, 'gsde k=ep/4', 'gsde k=ep', CONTINUITY, 'no difference'),
      furuta(3, 'gsde k=1', 'gsde k=ep/4', AREA, 'higher'),
      furuta(3, 'gsde k=1', 'gsde k=ep', AREA, 'higher'),
      furuta(3, 'gsde k=8', 'gsde k=ep/4', AREA, 'higher'),
      furuta(3, 'gsde k=8', 'gsde k=ep', AREA, 'higher'),
      furuta(3, 'gsde k=ep/16', 'gsde k=ep', AREA, 'higher'),
      furuta(3, 'gsde k=1', 'gsde k=8', AREA, 'no difference'),
      furuta(3, 'gsde k=8', 'gsde k=ep/16', AREA, 'no difference'),
      furuta(3, 'gsde k=8', 'gsde k=ep/4', 'return', 'higher'),
      furuta(3, 'gsde k=1', 'gsde k=8', 'return', 'no difference'),
      furuta(3, 'gsde k=8', 'gsde k=ep/16', 'return', 'no difference'),
      furuta(3, 'gsde k=ep/4', 'gsde k=ep', 'return', 'no difference'),
      furuta('claims', 'gsde k=8', 'gaussian k=1', CONTINUITY, 'lower'),
      furuta('claims', 'gsde k=ep', 'gsde k=8', CONTINUITY, 'lower'),
      furuta('claims', 'gsde k=8', 'gaussian k=1', 'return', 'no difference'),
      furuta('claims', 'gsde k=ep', 'gsde k=8', 'return', 'no difference'),
    ],
  },
  {
    title:
      '4. Return against smoothness: at equal continuity gSDE and parameter noise end level; gSDE learns faster, and wins where the task does not saturate',
    paragraphs: [
      'On the pendulum, every exploring configuration but OU ends within 10 of the others, so its Pareto front (pink noise once per episode, adaptive parameter noise with layer norm, gSDE every 32 steps, adaptive parameter noise at δ = 0.2) is a front of smoothness among equals. gSDE against parameter noise at equal continuity: no difference in final return in any of the 12 pairs. They differ in learning speed, and again by the interval: against adaptive parameter noise kept for the whole episode, its gSDE match of equal continuity (every 32 steps, or 8 with layer norm) has the higher training return area in all 5 pairs (gSDE k = 32: −393, parameter noise: −499), while parameter noise resampled within the episode and its gSDE match cannot be told apart in any of the 7. Parameter noise is smooth even when kept a whole episode because the action change it causes varies with the state; gSDE reaches the same smoothness with several samples per episode, and learns from more varied data.',
      "The tasks that do not saturate separate the key configurations. On the arm (delta actions), gSDE every 8 steps reaches the best return (−51.8), Gaussian noise −57.2, and adaptive parameter noise once per episode −79.4, barely above no noise (−85.4): gSDE above parameter noise (by 29) and above Gaussian noise, as the gSDE paper reports, and Plappert et al.'s claim that parameter noise beats action noise contradicted. On the sim-reacher both gSDE (−18.9) and parameter noise (−17.4, no difference between them) beat Gaussian noise (−21.9), as both papers report; gSDE again learns faster (training return area −32.2 against −34.1). Gaussian noise was still improving there when the budget ended (last-round gain +3.0, the one configuration of the four whose interval lies above 0), so its deficit is that of this budget. Parameter noise explores by the same mean |noise| on both tasks (0.11, against 0.18 to 0.20 for gSDE and 0.26 to 0.28 for Gaussian noise), so its failure on the arm is not one of scale; that the arm has four joints to coordinate within one perturbation per 100-step episode, where the reacher has two, is our hypothesis, not something these runs test. On both reaching tasks the continuity cost orders the key configurations exactly as the gSDE paper's figure does, and on the arm the return does too.",
    ],
    premises: [
      pendulum(4, 'gsde k=32', 'param k=ep adaptive', 'return', 'no difference'),
      pendulum(4, 'gsde k=8', 'param k=8 adaptive', 'return', 'no difference'),
      pendulum(4, 'gsde k=32', 'param k=ep adaptive', AREA, 'higher'),
      pendulum(4, 'gsde k=8 layer-norm', 'param k=ep layer-norm adaptive', AREA, 'higher'),
      pendulum(4, 'gsde k=8', 'param k=8 adaptive', AREA, 'no difference'),
      pendulum(4, 'gsde k=32', 'param k=ep adaptive', CONTINUITY, 'no difference'),
      arm(4, 'gsde k=8', 'param k=ep adaptive', 'return', 'higher'),
      arm('claims', 'gsde k=8', 'gaussian k=1', 'return', 'higher'),
      arm('claims', 'param k=ep adaptive', 'gaussian k=1', 'return', 'lower'),
      reacher(4, 'gsde k=8', 'param k=ep adaptive', 'return', 'no difference'),
      reacher(4, 'gsde k=8', 'param k=ep adaptive', AREA, 'higher'),
      reacher('claims', 'gsde k=8', 'gaussian k=1', 'return', 'higher'),
      reacher('claims', 'param k=ep adaptive', 'gaussian k=1', 'return', 'higher'),
    ],
  },
  {
    title: "The arm's action modes: with absolute targets the limiter sets the motion; in delta mode the noise does",
    paragraphs: [
      "With absolute joint targets the safety layer's velocity, acceleration and jerk limits shape nearly every command of every configuration (interventions 99–100 %, against none in delta mode), and what reaches the motors is the limiter's motion: the applied continuity cost lies between 0.0059 % and 0.0069 % whatever the noise, while the policy's raw actions range from 0.03 % (no noise) to 7.9 % (Gaussian noise). With absolute targets the smoothness of exploration noise is therefore moot on the motors, which is what the first edition measured without seeing it. In delta mode (each action moves the target by at most what the velocity limit allows in one period; the arm's calibration default) the limits catch nothing, and the applied continuity follows the exploration: gSDE 0.0029 %, Gaussian noise 0.0035 %, parameter noise 0.0018 %, no noise 0.0013 %, each lower than with absolute targets.",
      "The mode also reorders the noises. With absolute targets Gaussian noise reaches the best return (−52.7, above gSDE every 8 steps, −58.8: the gSDE paper's \"gSDE loses no return\" contradicted here) and gSDE and parameter noise end level (−58.8 and −58.4); in delta mode gSDE is best (−51.8) and parameter noise falls to −79.4. Our reading, which these runs do not test: through the limiter, white noise on absolute targets becomes a slew-limited motion, already smooth, and its per-step independence explores more; in delta mode the actions integrate into the target, so a perturbation kept for a whole episode drifts the arm in one direction for 100 steps, and gSDE's 8-step segments explore without that drift. The sim-reacher keeps absolute targets, as in the first edition, and its limits likewise shape 92–100 % of its commands. With absolute targets Gaussian noise and no noise were still improving when the budget ended (last-round gains +5.4 and +4.3): their final returns there are those of this budget, and Gaussian noise's lead over gSDE was still growing.",
    ],
    premises: [
      armAbsolute('claims', 'gsde k=8', 'gaussian k=1', 'return', 'lower'),
      armAbsolute('claims', 'param k=ep adaptive', 'gaussian k=1', 'return', 'lower'),
      armAbsolute(4, 'gsde k=8', 'param k=ep adaptive', 'return', 'no difference'),
      armAbsolute(4, 'gsde k=8', 'param k=ep adaptive', CONTINUITY, 'higher'),
      arm(4, 'gsde k=8', 'param k=ep adaptive', 'return', 'higher'),
      arm('claims', 'gsde k=8', 'gaussian k=1', 'return', 'higher'),
    ],
  },
  {
    title: 'The robot next to its twin: the noise, not the hardware path, sets smoothness; the path shows where the policy is smooth',
    paragraphs: [
      "On both emulated robots (the arm over the firmware protocol with a command one period late and noisier sensors; the SO-101 over its Feetech bus, six STS3215 servos read and written register by register) the key configurations keep the smoothness they have on the twin: for gSDE every 8 steps and Gaussian noise the robot's continuity cost, of raw actions and of applied commands, cannot be told from the twin's, and their mean squared jerk differs by 2 % at most (established on the arm only: +2 % for gSDE, +0.2 % for Gaussian noise). The ordering of the noises that the twins establish therefore carries over to the hardware path.",
      "Where the policy itself is smooth (no noise, parameter noise kept for the episode) the path's own imperfections show. On the arm the late command and the sensor noise double the mean squared jerk (parameter noise 13,400 against 5,900 on the twin; no noise 10,800 against 5,000), still a tenth of what gSDE costs (110,000). On the SO-101 the gap goes the other way (jerk 16 to 19 % lower on the robot for the same two); the servos' position resolution and the bus's read deadline are the differences we know of, and these runs do not say which of them smooths the motion.",
      "Wear: the servos' current follows the size of the motion more than its roughness. gSDE draws as much as Gaussian noise on the arm (0.36 A each) and more on the SO-101 (0.41 against 0.34 A), although its continuity cost is a tenth of Gaussian noise's, and parameter noise draws little more than no noise (0.30 against 0.29 A on the arm, 0.32 against 0.29 A on the SO-101). Our reading: a sample kept 8 steps pushes the servo against one direction for longer, while step-to-step noise is filtered by the servo before it becomes torque. The peak temperature stays between 25.8 and 26.1 °C in every configuration: the emulated STS3215 heats with a time constant of 150 s toward about 1 °C above ambient at these currents, and 3,000 steps are one minute of motion, so these runs cannot separate the configurations by heating; a longer robot budget would.",
    ],
    premises: [
      armRobot('gsde k=8', 'rawContinuity', 'no difference'),
      armRobot('gaussian k=1', 'rawContinuity', 'no difference'),
      armRobot('gsde k=8', 'appliedContinuity', 'no difference'),
      armRobot('gsde k=8', 'meanSquaredJerk', 'higher'),
      armRobot('gaussian k=1', 'meanSquaredJerk', 'higher'),
      armRobot('param k=ep adaptive', 'meanSquaredJerk', 'higher'),
      armRobot('none', 'meanSquaredJerk', 'higher'),
      so101Robot('gsde k=8', 'rawContinuity', 'no difference'),
      so101Robot('gaussian k=1', 'appliedContinuity', 'no difference'),
      so101Robot('gsde k=8', 'meanSquaredJerk', 'no difference'),
      so101Robot('gaussian k=1', 'meanSquaredJerk', 'no difference'),
      so101Robot('param k=ep adaptive', 'meanSquaredJerk', 'lower'),
      so101Robot('none', 'meanSquaredJerk', 'lower'),
    ],
  },
];
