<?php
namespace App;

final class Site {}
