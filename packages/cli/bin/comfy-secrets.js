#!/usr/bin/env node
'use strict';
require('../dist/launch.js').launch();
